"""The votes bench's own findings, kept: a public juror's identity hash fits its column
(PostgreSQL refuses a longer value; SQLite, where the suite runs, would not notice)."""

from gonghui.common import crypto
from gonghui.contests.jury.services import IDENTITY_CONTEXT
from gonghui.contests.models import Judge
from tests.factories import VALID_IDS


def test_a_jurors_identity_hash_fits_its_column():
    identity = crypto.blind_index(VALID_IDS[1], context=IDENTITY_CONTEXT)
    assert len(identity) <= Judge._meta.get_field("identity_hash").max_length
