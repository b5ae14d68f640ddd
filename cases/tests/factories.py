import datetime

import factory

from cases.models import Case, Category, Feedback, Referral, SubCategory
from teams.tests.factories import HelperFactory, TeamFactory


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    code = factory.Sequence(lambda n: f"C{n:02d}")
    label = factory.Sequence(lambda n: f"大类{n}")
    order = factory.Sequence(lambda n: n)


class SubCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubCategory

    category = factory.SubFactory(CategoryFactory)
    code = factory.Sequence(lambda n: f"S{n:03d}")
    label = factory.Sequence(lambda n: f"小类{n}")
    order = factory.Sequence(lambda n: n)


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    number = factory.LazyAttributeSequence(lambda c, n: f"{c.village.town.code}-2015-{n + 1:04d}")
    team = factory.SubFactory(TeamFactory)
    village = factory.LazyAttribute(lambda c: c.team.village)
    raised_on = datetime.date(2015, 1, 8)
    resident_name = "陈测试"
    resident_phone = "13912345678"
    resident_address = "测试村东坊8号"
    title = "水渠年久失修"
    description = "内部记录"

    class Params:
        closed = factory.Trait(
            status=Case.Status.CLOSED,
            closure=Case.Closure.SOLVED,
            closed_on=datetime.date(2015, 1, 20),
            result="已维修",
        )


class ReferralFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Referral

    case = factory.SubFactory(CaseFactory)
    helper = factory.SubFactory(HelperFactory)
    asked_on = datetime.date(2015, 1, 10)
    request = "请协助调解"


class FeedbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Feedback

    case = factory.SubFactory(CaseFactory, closed=True)
    given_on = datetime.date(2015, 1, 21)
    channel = Feedback.Channel.PHONE
    satisfaction = Feedback.Satisfaction.SATISFIED
