import datetime

import factory
from django.contrib.auth.models import Group, User

from teams.models import Cadre, Helper, Subgroup, Team, Visit
from villages.tests.factories import VillageFactory

PASSWORD = "test-pass-123"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get_or_create(name=extracted)[0])
        if create:
            self.save()


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    number = factory.Sequence(lambda n: n + 1)
    name = factory.LazyAttribute(lambda t: f"第{t.number}驻点团队")
    village = factory.SubFactory(VillageFactory)


class CadreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cadre

    name = factory.Sequence(lambda n: f"干部{n}")
    position = "镇干部"
    phone = "13800000000"
    team = factory.SubFactory(TeamFactory)


class SubgroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subgroup

    team = factory.SubFactory(TeamFactory)
    name = factory.Sequence(lambda n: f"第{n + 1}小组")


class VisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Visit

    team = factory.SubFactory(TeamFactory)
    village = factory.LazyAttribute(lambda v: v.team.village)
    date = datetime.date(2015, 1, 8)  # a Thursday
    households_visited = 20


class HelperFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Helper

    name = factory.Sequence(lambda n: f"辅助{n}")
    kind = Helper.Kind.LAWYER
    organisation = "台山市法律援助处"
