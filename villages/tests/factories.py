import factory

from villages.models import Town, Village


def home_town() -> Town:
    """The town every test's villages belong to unless it asks for another: Sanhe, as in the demo."""
    town, _ = Town.objects.get_or_create(
        code="SH", defaults={"name": "三合镇", "division_code": "440781104", "phone": "0750-5524538"}
    )
    return town


def _letters(n: int) -> str:
    """AA, AB, … ZZ, AAA: a short code no other test town has (SH is the home town's)."""
    code = ""
    n += 26  # two letters at least
    while n:
        n, rest = divmod(n, 26)
        code = chr(ord("A") + rest) + code
    return code if code != "SH" else "SHX"


class TownFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Town

    code = factory.Sequence(lambda n: _letters(n + 100))
    name = factory.Sequence(lambda n: f"测试{n}镇")
    division_code = factory.Sequence(lambda n: f"440782{n % 1000:03d}")
    phone = "0750-5550000"


class VillageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Village

    town = factory.LazyFunction(home_town)
    # Twelve digits whatever the sequence reaches in a long test session.
    code = factory.Sequence(lambda n: f"44078{n % 10**7:07d}")
    name = factory.Sequence(lambda n: f"测试{n}村委会")
    short_name = factory.Sequence(lambda n: f"测试{n}村")
    households = 500
    population = 1800
