"""A submitted sheet with SAMPLING.md's worked example, ready for sampling tests."""

from __future__ import annotations

from iamis.models import Entry
from sampling.models import Sample
from sampling.services import marks_submit, sample_generate
from tests.factories import CandidateFactory, EntryFactory, TaskFactory, UnitFactory
from tests.iamis.marking import fill

WORKED = [
    (1001, "40"), (1002, "38"), (1003, "35"), (1004, "33"), (1005, "30"), (1006, "28"),
    (1007, "25"), (1008, "20"), (1009, "12"), (1010, "0"), (1011, "A"), (1012, "CF"),
]  # fmt: skip


def worked_sheet(two_centres, *, offset: int = 1000):
    unit = UnitFactory(
        sample_size_table=[[5, "ALL"], ["inf", 5]], carry_forward_allowed=True
    )
    TaskFactory(unit=unit, number=1, max_mark=40)
    for number, value in WORKED:
        candidate = CandidateFactory(
            centre=two_centres.alice_centre, number=number + offset
        )
        fill(EntryFactory(candidate=candidate, unit=unit), value, confirm=True)
    return unit


def ready_sample(two_centres) -> Sample:
    unit = worked_sheet(two_centres)
    submission = marks_submit(
        centre=two_centres.alice_centre, unit=unit, acting_user=two_centres.alice
    )
    return sample_generate(submission_id=submission.pk)


def entry_of(sample: Sample, number: int) -> Entry:
    """Entry of worked-example candidate `number` (1001..1012)."""
    return Entry.objects.get(unit=sample.unit, candidate__number=number + 1000)
