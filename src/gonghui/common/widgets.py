"""Form widgets every app's pages share."""

from django import forms


class NoEchoInput(forms.TextInput):
    """A text box that never writes its value back into the page (for look-up numbers)."""

    def format_value(self, value):
        return None
