from django.apps import AppConfig


class ContestsConfig(AppConfig):
    name = "gonghui.contests"
    verbose_name = "工匠选树与技能竞赛"

    def ready(self):
        from gonghui.contests import merging, signals  # noqa: F401  (a merge carries entries)
        from gonghui.contests.board import services
        from gonghui.contests.notary import receivers

        # The live board's next snapshot after every committed change of its results; the
        # notary's checkpoint at every milestone (in every process: web, worker, commands).
        signals.board_changed.connect(
            services._on_board_changed, dispatch_uid="contests.board.snapshot"
        )
        signals.milestone_reached.connect(
            receivers.on_milestone, dispatch_uid="contests.notary.milestone"
        )
