"""Giveaways (普惠活动, 抢票): set-up, the claim hot path, the lottery and its published
draw, the waitlist, reports, the venue's list and the sealing of claims."""
