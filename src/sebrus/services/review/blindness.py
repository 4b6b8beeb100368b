"""Who may see who contributed an item: the rule that keeps review blind to the contributor.

A reviewer who knows whose image they judge can vote on the person instead of the picture (a friend's
upload approved, a rival's rejected). So until an item is decided (Approved or Rejected), every face a
reviewer reads (the queue, item lists and pages, vote receipts) leaves its contributor out, and only the
dataset's owner (who answers for the dataset) and the contributor themself still see it. Once decided
the vote is over and the contributor is shown to everyone again.

The address stays on chain all the same (the Dataset contract records it); blindness here means the
platform does not put it in front of the reviewer.
"""

from __future__ import annotations

from sebrus.db.models import Dataset, Item, ItemStatus, User

DECIDED = (ItemStatus.APPROVED, ItemStatus.REJECTED)


def shows_contributor(item: Item, dataset: Dataset, viewer: User | None) -> bool:
    """Whether ``viewer`` (None: anonymous) may see ``item``'s contributor now."""
    if item.status in DECIDED:
        return True
    if viewer is None:
        return False
    if dataset.owner_id == viewer.id or item.contributor_user_id == viewer.id:
        return True
    return item.contributor_address in {w.address for w in viewer.wallets}


def sees_contributions_of(dataset: Dataset, viewer: User | None, address: str) -> bool:
    """Whether ``viewer`` may list the undecided items that wallet ``address`` contributed: a filter by
    contributor would otherwise name the contributor of every item it returns."""
    if viewer is None:
        return False
    if dataset.owner_id == viewer.id:
        return True
    return address.lower() in {w.address.lower() for w in viewer.wallets}
