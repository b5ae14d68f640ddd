import factory

from villages.models import Village


class VillageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Village

    code = factory.Sequence(lambda n: f"440781104{n + 300:03d}")
    name = factory.Sequence(lambda n: f"测试{n}村委会")
    short_name = factory.Sequence(lambda n: f"测试{n}村")
    households = 500
    population = 1800
