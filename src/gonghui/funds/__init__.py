"""Funds, subsidies and aid (资金与帮扶, issue #18).

At the app level: ``models.py`` (with what the database refuses), ``events.py`` (the
programme's stream ``funds:<id>``, the scope check), ``ledger.py`` (the one place that moves
money: budget commitments by conditional UPDATE, append-only ledger rows), and the rules the
platform and its checks share, standard library only: ``money.py`` (fen, never float),
``rules.py`` (programme rules as data), ``prediction.py`` (which payout lines a bank will
refuse, and why), ``bankfile.py`` (the bank's payout and return files).

One folder a feature: ``programmes/`` (programmes, rule versions, budgets, hardship records,
the budget page), ``applications/`` (applying, the review levels, maker-checker),
``enrolment/`` (runs enrolled by rule, e.g. Spring Festival condolence money),
``accounts/`` (payee accounts, failure prediction
and re-routing before release), ``payouts/`` (batches, bank files, returns, re-issue,
reconciliation, the command line), ``reports/`` (figures by node and month, charts, Excel)."""
