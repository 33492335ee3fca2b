"""Celery tasks for samples. Idempotent: running one twice leaves exactly one sample."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task
from django.db import DatabaseError

from common import scoping
from iamis.models import Submission

from . import services
from .models import Sample


@shared_task(
    name="sampling.generate_sample",
    bind=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=services.MAX_ATTEMPTS,
    acks_late=True,
)
def generate_sample(self: Task[Any, Any], submission_id: int) -> str:
    with scoping.centre_of(Submission, submission_id, "sampling.generate_sample"):
        try:
            sample = services.sample_generate(submission_id=submission_id)
        except DatabaseError as error:
            if self.request.retries >= services.MAX_ATTEMPTS:
                services.sample_failed(submission_id=submission_id, error=str(error))
            raise
        return sample.status


@shared_task(name="sampling.requeue_pending_samples")
def requeue_pending_samples() -> int:
    """Beat: a sample still pending after its task was lost (a crash between commit and
    enqueue, a worker killed mid-run) is queued again, within the attempts limit."""
    with scoping.every_centre("sampling.requeue_pending_samples"):
        pending = list(
            Sample.objects.filter(
                status=Sample.Status.PENDING, attempts__lt=services.MAX_ATTEMPTS
            ).values_list("submission_id", flat=True)
        )
    for submission_id in pending:
        generate_sample.delay(submission_id)
    return len(pending)
