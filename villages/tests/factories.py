import factory

from villages.models import Village


class VillageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Village

    # Twelve digits whatever the sequence reaches in a long test session.
    code = factory.Sequence(lambda n: f"44078{n % 10**7:07d}")
    name = factory.Sequence(lambda n: f"测试{n}村委会")
    short_name = factory.Sequence(lambda n: f"测试{n}村")
    households = 500
    population = 1800
