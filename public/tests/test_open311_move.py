"""Open311's clients and posts moved from villages to public (public/0001, villages/0005) as models
only: their tables and rows stay as they are, both ways, and their content types follow them."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection

from cases.tests.factories import CaseFactory
from public.models import Open311Client, Open311Post
from public.open311.intake import issue_key


def rows() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.name, p.status_code, p.case_id FROM villages_open311post p "
            "JOIN villages_open311client c ON c.id = p.client_id ORDER BY p.id"
        )
        return cursor.fetchall()


def app_of(model: str) -> set[str]:
    return set(ContentType.objects.filter(model=model).values_list("app_label", flat=True))


@pytest.mark.django_db(transaction=True)
def test_open311s_tables_stay_while_their_models_move_and_back():
    client = Open311Client(name="江门12345小程序")
    issue_key(client)
    client.save()
    Open311Post.objects.create(client=client, case=CaseFactory(), outcome="created", status_code=201)
    permission = Permission.objects.get(codename="view_open311post")  # as a group given it would hold
    before = rows()
    assert len(before) == 1 and app_of("open311post") == {"public"}

    call_command("migrate", "public", "zero", verbosity=0)
    assert rows() == before
    assert app_of("open311client") == app_of("open311post") == {"villages"}

    call_command("migrate", verbosity=0)
    assert rows() == before
    assert app_of("open311client") == app_of("open311post") == {"public"}
    assert Permission.objects.get(pk=permission.pk).content_type.app_label == "public"
    assert Open311Post.objects.get().client == Open311Client.objects.get()
