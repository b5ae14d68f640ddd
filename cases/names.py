"""One resolver for the names that ledgers and forms write for villages, categories and sub-categories.

Offices write "民生保障问题" for 民生保障, "东联" or "东联村委会" for 东联村, "其他" for 其它, "01" for a
code, in full-width forms and with stray spaces. `Resolver` reads all of them the same way for
the office's import, `import_ledger`, the admin's import and the cadre's form: the official name,
its short name, its code, each unique part of a joined name ("低保保障" of "贫困户帮扶/低保保障"),
each with the usual prefixes and suffixes taken off; then the aliases the office chose once by hand
(`NameAlias`). What still does not resolve comes back with its closest candidates, never as a guess.
"""

import difflib
import functools
import re
import unicodedata
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from cases.models import Category, NameAlias, SubCategory
from villages.models import Village

# Words offices put around a category's name: "关于村道的问题", "治安消防类", "政务方面", "用水工作".
CATEGORY_PREFIXES = ("关于", "有关")
CATEGORY_SUFFIXES = ("的问题", "问题", "类别", "类", "方面", "工作", "事项", "相关", "的")
VILLAGE_SUFFIXES = ("村民委员会", "居民委员会", "村委会", "居委会", "村委", "居委", "社区", "村", "居")
# Where a joined name splits into the names it joins: "贫困户帮扶/低保保障", "农村基础设施建设、教育教学".
JOINERS = re.compile(r"[/／、,，;；|｜]")
CANDIDATES = 3


def fold(text) -> str:
    """How names are compared: full-width folded, case-blind, without spaces or punctuation; 其他 = 其它."""
    text = unicodedata.normalize("NFKC", str(text)).lower().replace("其他", "其它")
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PZC")


def _strip(text: str, prefixes: tuple[str, ...], suffixes: tuple[str, ...]) -> str:
    """TEXT (folded) without its prefixes and suffixes, repeatedly ("关于其它类问题" → "其它"), never to nothing."""
    changed = True
    while changed:
        changed = False
        for prefix in prefixes:
            if text.startswith(prefix) and len(text) > len(prefix):
                text, changed = text[len(prefix) :], True
        for suffix in suffixes:
            if text.endswith(suffix) and len(text) > len(suffix):
                text, changed = text[: -len(suffix)], True
    return text


def category_stem(text: str) -> str:
    return _strip(fold(text), CATEGORY_PREFIXES, CATEGORY_SUFFIXES)


def village_prefixes(*town_names: str) -> tuple[str, ...]:
    """The county's and the towns' names before a village's ("台山三合镇东联村"), as written in full and
    without 市 (县) or 镇 (街道); stripped one after the other."""
    names = [fold(settings.COUNTY_NAME)] + [fold(name) for name in town_names]
    shorts = [name.removesuffix("市").removesuffix("县").removesuffix("镇").removesuffix("街道") for name in names]
    return tuple(dict.fromkeys(p for p in names + shorts if p))


def village_stem(text: str, *town_names: str) -> str:
    return _strip(fold(text), village_prefixes(*town_names), VILLAGE_SUFFIXES)


def village_stem_of(text: str, *, town_names) -> str:
    return village_stem(text, *town_names)


def _parts(label: str) -> list[str]:
    parts = [part for part in JOINERS.split(label) if fold(part)]
    return parts if len(parts) > 1 else []


def code_keys(code: str) -> set[str]:
    folded = fold(code)
    return {folded, folded.lstrip("0")} - {""}


@dataclass(frozen=True)
class Resolved:
    """What a name resolved to (OBJ), or the closest CANDIDATES when it did not."""

    obj: object | None
    candidates: tuple = ()
    exact: bool = False  # by its name or code as written, not by a stem, a part or an alias

    def __bool__(self) -> bool:
        return self.obj is not None


@dataclass
class _Index:
    """Keys of one kind of object: exact keys first (name, code), then looser ones (stems, parts).
    A key that two objects share is ambiguous and leads nowhere."""

    exact: dict[str, set] = field(default_factory=dict)
    loose: dict[str, set] = field(default_factory=dict)
    aliases: dict[str, object] = field(default_factory=dict)
    names: dict[str, object] = field(default_factory=dict)  # folded official name -> object, for candidates

    def add(self, obj, exact: set[str], loose: set[str]) -> None:
        for key in exact - {""}:
            self.exact.setdefault(key, set()).add(obj)
        for key in loose - {""}:
            self.loose.setdefault(key, set()).add(obj)

    def find(self, keys: list[str], objects: list | None = None) -> tuple[object | None, bool]:
        """The one object a key names (first the exact keys, then the loose ones), among OBJECTS if
        given; and whether an exact key named it."""
        for table in (self.exact, self.loose):
            for key in keys:
                found = table.get(key, set())
                if objects is not None:
                    found = found & set(objects)
                if len(found) == 1:
                    return next(iter(found)), table is self.exact
        return None, False

    def closest(self, text: str, among: list | None = None) -> tuple:
        """The CANDIDATES objects whose names look most like TEXT: containing it or contained, then by
        similarity. Always some, however unlike: the office is better served by a short list to pick from."""
        names = {name: obj for name, obj in self.names.items() if among is None or obj in among}
        folded = fold(text)
        if not folded or folded.isdigit():  # a code is right or wrong: nothing is "close" to it
            return ()
        scored = []
        for name, obj in names.items():
            ratio = difflib.SequenceMatcher(None, folded, name).ratio()
            if folded in name or name in folded:
                ratio += 1
            scored.append((ratio, name, obj))
        scored.sort(key=lambda item: (-item[0], item[1]))
        result = []
        for _ratio, _name, obj in scored:
            if len(result) == CANDIDATES:
                break
            if obj not in result:
                result.append(obj)
        return tuple(result)


class Resolver:
    """The villages, categories and sub-categories, and the aliases, loaded once (four queries).
    Given a TOWN, only that town's villages and categories (the county's and its own): two towns may
    each have a 东联村, and a town's import must never write into another town."""

    def __init__(self, town=None):
        self._seen: dict[tuple, Resolved] = {}  # a ledger writes the same few names thousands of times
        self._villages = _Index()
        villages = Village.objects.select_related("town")
        categories = Category.objects.all()
        if town is not None:
            villages, categories = villages.filter(town=town), categories.for_town(town)
        villages = list(villages)
        town_names = sorted({village.town.name for village in villages})
        self._village_stem = functools.partial(village_stem_of, town_names=town_names)
        for village in villages:
            exact = {fold(village.code), fold(village.name), fold(village.short_name)}
            town = village.town.name
            loose = {village_stem(village.name, town), village_stem(village.short_name, town)}
            self._villages.add(village, exact, loose)
            self._villages.names[fold(village.short_name)] = village
        self.categories = list(categories)
        self._categories = _Index()
        for category in self.categories:
            self._add_named(self._categories, category)
        self.subcategories = list(SubCategory.objects.filter(category__in=self.categories).select_related("category"))
        self._subcategories = _Index()
        for sub in self.subcategories:
            self._add_named(self._subcategories, sub)
        index = {"village": self._villages, "category": self._categories, "subcategory": self._subcategories}
        # An alias counts only when its target is among those loaded: not another town's village.
        loaded = {"village": set(villages), "category": set(self.categories), "subcategory": set(self.subcategories)}
        for alias in NameAlias.objects.select_related("village", "category", "subcategory__category"):
            if alias.target in loaded[alias.kind]:
                index[alias.kind].aliases[alias.folded] = alias.target

    @staticmethod
    def _add_named(index: _Index, obj) -> None:
        exact = {fold(obj.label), *code_keys(obj.code)}
        loose = {category_stem(obj.label)}
        for part in _parts(obj.label):
            loose |= {fold(part), category_stem(part)}
        index.add(obj, exact, loose)
        index.names[fold(obj.label)] = obj

    @staticmethod
    def _alias(index: _Index, keys: list[str], among: list | None = None):
        for key in keys:
            target = index.aliases.get(key)
            if target is not None and (among is None or target in among):
                return target
        return None

    def _resolve(self, index: _Index, text: str, stem, among: list | None = None) -> Resolved:
        if not fold(text):
            return Resolved(None)
        keys = [fold(text), stem(text)]
        found, exact = index.find(keys, among)
        found = found or self._alias(index, keys, among)
        if found is not None:
            return Resolved(found, exact=exact)
        return Resolved(None, index.closest(text, among))

    def _remembered(self, key: tuple, resolve) -> Resolved:
        if key not in self._seen:
            self._seen[key] = resolve()
        return self._seen[key]

    def village(self, text: str) -> Resolved:
        return self._remembered(("village", text), lambda: self._resolve(self._villages, text, self._village_stem))

    def category(self, text: str) -> Resolved:
        return self._remembered(("category", text), lambda: self._resolve(self._categories, text, category_stem))

    def subcategory(self, text: str, category: Category | None = None) -> Resolved:
        """A sub-category by name or code; within CATEGORY when given."""

        def resolve():
            among = [sub for sub in self.subcategories if sub.category_id == category.pk] if category else None
            return self._resolve(self._subcategories, text, category_stem, among)

        return self._remembered(("subcategory", text, category.pk if category else None), resolve)


@transaction.atomic
def save_alias(*, kind: str, text: str, target, by=None) -> NameAlias:
    """Remember that TEXT, as a ledger writes it, means TARGET (a village, category or sub-category).
    Saving a text again moves it to the new target."""
    alias = NameAlias.objects.filter(kind=kind, folded=fold(text)).first() or NameAlias(kind=kind)
    alias.text = str(text).strip()[:100]
    alias.village = alias.category = alias.subcategory = None
    setattr(alias, kind, target)  # the kinds are the names of the alias's foreign keys
    alias.created_by = by
    alias.full_clean(exclude=["created_by"], validate_unique=False, validate_constraints=False)
    alias.save()
    return alias
