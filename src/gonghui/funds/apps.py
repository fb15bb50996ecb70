from django.apps import AppConfig


class FundsConfig(AppConfig):
    name = "gonghui.funds"
    verbose_name = "资金与帮扶"

    def ready(self):
        # Who may open an application's documents, a batch's bank files and a cash line's
        # receipt is registered with the files app when the services load: in every
        # process, not only where URLs load.
        from gonghui.funds import merging  # noqa: F401  (a merge carries the funds' rows)
        from gonghui.funds.applications import services  # noqa: F401
        from gonghui.funds.payouts import services as payouts  # noqa: F401
