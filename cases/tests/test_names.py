"""The one resolver of names (cases/names.py): villages, categories and sub-categories as offices write them."""

import pytest

from cases.models import NameAlias
from cases.names import Resolver, save_alias
from cases.tests.factories import CategoryFactory, SubCategoryFactory
from villages.tests.factories import VillageFactory


@pytest.fixture
def names(db):
    """A slice of the town's own tables (cases/demo/sanhe_2015.json)."""
    dong = VillageFactory(code="440781104201", name="东联村委会", short_name="东联村")
    xu = VillageFactory(code="440781104001", name="三合圩居委会", short_name="三合圩社区")
    livelihood = CategoryFactory(code="01", label="民生保障")
    infra = CategoryFactory(code="02", label="农村基础设施建设、教育教学")
    water = CategoryFactory(code="03", label="农田水利建设")
    other = CategoryFactory(code="07", label="其它")
    dibao = SubCategoryFactory(code="0101", label="贫困户帮扶/低保保障", category=livelihood)
    medical = SubCategoryFactory(code="0102", label="就医难", category=livelihood)
    bus = SubCategoryFactory(code="0202", label="客车班次/市场整治/危房改造/通讯安装", category=infra)
    house = SubCategoryFactory(code="0203", label="危房改造/旧屋改建", category=infra)
    canal = SubCategoryFactory(code="0301", label="水渠年久失修", category=water)
    return dict(
        dong=dong,
        xu=xu,
        livelihood=livelihood,
        infra=infra,
        water=water,
        other=other,
        dibao=dibao,
        medical=medical,
        bus=bus,
        house=house,
        canal=canal,
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        ("民生保障", "livelihood"),
        ("民生保障问题", "livelihood"),
        ("民生保障类", "livelihood"),
        ("民生保障方面", "livelihood"),
        ("关于民生保障的问题", "livelihood"),
        ("农田水利建设问题", "water"),
        ("农田水利建设工作", "water"),
        ("其它问题", "other"),
        ("其他", "other"),
        ("其他问题", "other"),
        ("01", "livelihood"),
        ("1", "livelihood"),
        ("０３", "water"),
        ("民生 保障", "livelihood"),
        ("【民生保障】", "livelihood"),
        ("农村基础设施建设", "infra"),
        ("教育教学", "infra"),
        ("农村基础设施建设、教育教学", "infra"),
    ],
)
def test_category_resolves_as_offices_write_it(names, text, expected):
    assert Resolver().category(text).obj == names[expected]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("东联村", "dong"),
        ("东联村委会", "dong"),
        ("东联", "dong"),
        ("东联村民委员会", "dong"),
        ("440781104201", "dong"),
        (" 东联村 ", "dong"),
        ("三合镇东联村", "dong"),
        ("三合圩社区", "xu"),
        ("三合圩居委会", "xu"),
        ("三合圩", "xu"),
    ],
)
def test_village_resolves_as_offices_write_it(names, text, expected):
    assert Resolver().village(text).obj == names[expected]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("就医难", "medical"),
        ("就医难问题", "medical"),
        ("低保保障", "dibao"),
        ("贫困户帮扶", "dibao"),
        ("0101", "dibao"),
        ("旧屋改建", "house"),
        ("水渠年久失修", "canal"),
    ],
)
def test_subcategory_resolves_by_name_part_or_code(names, text, expected):
    assert Resolver().subcategory(text).obj == names[expected]


def test_a_part_two_subcategories_share_resolves_to_neither_and_offers_both(names):
    found = Resolver().subcategory("危房改造")

    assert found.obj is None
    assert set(found.candidates[:2]) == {names["bus"], names["house"]}


def test_subcategory_within_a_category_only_looks_there(names):
    resolver = Resolver()

    assert resolver.subcategory("就医难", names["livelihood"]).obj == names["medical"]
    assert resolver.subcategory("就医难", names["water"]).obj is None


def test_an_unknown_name_comes_back_with_its_closest_candidates_never_a_guess(names):
    found = Resolver().category("民生保險")

    assert found.obj is None
    assert found.candidates[0] == names["livelihood"]


def test_a_saved_alias_is_used_by_every_later_resolver(names, office_user):
    assert Resolver().category("民政事务").obj is None

    save_alias(kind="category", text="民政事务", target=names["livelihood"], by=office_user)

    assert Resolver().category("民政事务").obj == names["livelihood"]
    assert Resolver().category("民政事务问题").obj == names["livelihood"]  # folded and stemmed as well
    alias = NameAlias.objects.get()
    assert (alias.kind, alias.text, alias.folded, alias.created_by) == ("category", "民政事务", "民政事务", office_user)


def test_saving_an_alias_again_moves_it(names):
    save_alias(kind="village", text="东村", target=names["xu"])
    save_alias(kind="village", text="东 村", target=names["dong"])

    assert NameAlias.objects.count() == 1
    assert Resolver().village("东村").obj == names["dong"]


def test_resolver_loads_everything_in_a_constant_number_of_queries(names, django_assert_num_queries):
    save_alias(kind="village", text="东村", target=names["dong"])

    with django_assert_num_queries(4):
        resolver = Resolver()
    for text in ("民生保障问题", "其他", "东联", "就医难", "东村", "不存在"):
        resolver.category(text), resolver.village(text), resolver.subcategory(text)


def test_the_admin_saves_an_alias_and_refuses_one_with_two_targets(names, admin_client):
    url = "/admin/cases/namealias/add/"
    both = {"kind": "village", "text": "东村", "village": names["dong"].pk, "category": names["water"].pk}

    refused = admin_client.post(url, both)
    saved = admin_client.post(url, {**both, "category": ""})

    assert "一个写法只对应一个村（社区）：请清空其他选择。" in refused.content.decode()
    assert saved.status_code == 302
    assert Resolver().village("东村").obj == names["dong"]
