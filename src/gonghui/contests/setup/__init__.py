"""Setting a contest up (设立): programmes, their competitions (one per trade) with their
stages' schemes and rules, the rules document, the judge pool and declared recusals."""
