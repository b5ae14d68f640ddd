import datetime

import factory

from cases.tests.factories import CaseFactory
from reports.models import Notice, SpotCheck, SpotCheckDraw, StatedCategory, StatedReport
from villages.tests.factories import home_town


class StatedReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StatedReport

    town = factory.LazyFunction(home_town)
    title = factory.Sequence(lambda n: f"情况报告{n}")
    as_of = datetime.date(2015, 2, 1)


class StatedCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StatedCategory

    report = factory.SubFactory(StatedReportFactory)


class SpotCheckDrawFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SpotCheckDraw

    town = factory.LazyFunction(home_town)
    start = datetime.date(2015, 1, 1)
    end = datetime.date(2015, 1, 31)
    size = 5
    seed = 7


class SpotCheckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SpotCheck

    draw = factory.SubFactory(SpotCheckDrawFactory)
    case = factory.SubFactory(CaseFactory)

    class Params:
        done = factory.Trait(
            method=SpotCheck.Method.PHONE,
            finding=SpotCheck.Finding.TRUE,
            checked_at=factory.LazyFunction(lambda: datetime.datetime(2015, 2, 3, 10, tzinfo=datetime.UTC)),
        )


class NoticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notice

    town = factory.LazyFunction(home_town)
    title = "关于2015年1月驻点团队工作情况的通报"
    start = datetime.date(2015, 1, 1)
    end = datetime.date(2015, 1, 31)
    body = "各驻点团队：第1驻点团队予以通报表扬。"
