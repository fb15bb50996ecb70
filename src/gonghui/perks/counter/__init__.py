"""A merchant's counter (商户核验): a member's card checked by its QR code, a giveaway's
pickup code accepted (领取码核销)."""
