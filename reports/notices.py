"""Public notices 通报: drafted from a ranking (a town's teams, or the county's towns), edited by a
supervisor, then published."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from reports.analysis import Period
from reports.evaluation import NAMES, Entry
from reports.models import Notice
from reports.writing import notice_body, notice_title


@transaction.atomic
def draft_notice(*, period: Period, ranking: list[Entry], weights: dict, best: int, by, town) -> Notice:
    """A draft notice of TOWN (None: the county's, ranking the towns) for PERIOD: the generated text
    and the ranking as it stands now."""
    names = {key: str(name) for key, name in NAMES.items()}
    return Notice.objects.create(
        title=notice_title(period, of_towns=town is None),
        start=period.start,
        end=period.end,
        body=notice_body(
            period=period,
            ranking=ranking,
            weights=weights,
            names=names,
            count=best,
            today=timezone.localdate(),
            town=town.name if town is not None else settings.COUNTY_NAME,
            of_towns=town is None,
        ),
        town=town,
        weights=weights,
        ranking=[entry.as_json() for entry in ranking],
        created_by=by,
    )


@transaction.atomic
def publish_notice(*, notice: Notice, by) -> Notice:
    """Publish NOTICE at its public address; a published notice is no longer edited."""
    if notice.is_published:
        raise ValueError("the notice is already published")
    notice.status = Notice.Status.PUBLISHED
    notice.published_at, notice.published_by = timezone.now(), by
    notice.save(update_fields=["status", "published_at", "published_by"])
    return notice
