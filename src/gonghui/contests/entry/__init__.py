"""Registration, union nominations, closing registration, the entrant\x27s own pages."""
