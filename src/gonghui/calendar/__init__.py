"""The working-day calendar's one write: a year's official schedule of holidays and
make-up workdays, entered by staff (``services``). The calendar itself (``CalendarYear``,
``CalendarDay``) and the counting of working days are in ``gonghui.common`` (``models``,
``workdays``); its page is the nominations app's, whose notices it counts."""
