"""Partner merchants (合作商户) with their shops, offers and counter accounts; the offers
members browse."""
