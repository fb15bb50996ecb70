"""A stage's results and what follows from them (成绩、晋级、称号、人才库): the chief
referee locks a stage's results (computed by ``engine.py`` from the raw record), previews
and confirms who advances, the titles and nomination awards become registry awards with the
studio offer, and every entrant's results feed the talent database."""
