from django.urls import path

from cases.views import detail, hotline, ledger, lists, photos, residents

app_name = "cases"

# Each block belongs to one views module; keep them apart.
urlpatterns = [
    # -- cases/views/lists.py: the office's case list, export, bulk actions
    path("", lists.case_list, name="list"),
    path("export.xlsx", lists.case_export, name="export"),
    path("bulk/", lists.case_bulk, name="bulk"),
    # -- cases/views/ledger.py: importing an Excel ledger 台账
    path("import/", ledger.ledger_upload, name="ledger_upload"),
    path("import/preview/", ledger.ledger_preview, name="ledger_preview"),
    path("import/names/", ledger.ledger_aliases, name="ledger_aliases"),
    path("import/confirm/", ledger.ledger_confirm, name="ledger_confirm"),
    path("import/cancel/", ledger.ledger_cancel, name="ledger_cancel"),
    path("import/done/", ledger.ledger_result, name="ledger_result"),
    # -- cases/views/hotline.py: 12345 hotline work orders in (import), signed for, and replies out
    path("hotline/", hotline.hotline_upload, name="hotline_upload"),
    path("hotline/preview/", hotline.hotline_preview, name="hotline_preview"),
    path("hotline/confirm/", hotline.hotline_confirm, name="hotline_confirm"),
    path("hotline/cancel/", hotline.hotline_cancel, name="hotline_cancel"),
    path("hotline/done/", hotline.hotline_result, name="hotline_result"),
    path("hotline/replies.xlsx", hotline.hotline_replies_xlsx, name="hotline_replies_xlsx"),
    path("hotline/replies.json", hotline.hotline_replies_json, name="hotline_replies_json"),
    path("hotline/<str:number>/sign/", hotline.hotline_sign, name="hotline_sign"),
    # -- cases/views/residents.py: one resident's data (PIPL), looked up and exported by the office
    path("residents/", residents.resident_lookup, name="residents"),
    path("residents/export.json", residents.resident_export, name="resident_export"),
    # -- cases/views/photos.py: a case's photos, served only through these views (never MEDIA_URL)
    path("photos/<str:key>.jpg", photos.image, name="photo"),
    path("photos/<str:key>/thumb.jpg", photos.thumbnail, name="photo_thumb"),
    path("photos/<str:key>/board.jpg", photos.board_thumbnail, name="photo_board"),
    path("photos/<str:key>/public/", photos.set_public, name="photo_public"),
    path("photos/<str:key>/delete/", photos.delete, name="photo_delete"),
    path("<str:number>/photos/", photos.upload, name="photo_upload"),
    # -- cases/views/detail.py: one case and its actions (must stay last: <number>/ catches the rest)
    path("<str:number>/", detail.case_detail, name="detail"),
    path("<str:number>/contact/", detail.reveal_contact, name="contact"),
    path("<str:number>/triage/", detail.triage, name="triage"),
    path("<str:number>/progress/", detail.add_progress, name="progress"),
    path("<str:number>/refer/", detail.refer, name="refer"),
    path("<str:number>/reply/", detail.record_reply, name="reply"),
    path("<str:number>/close/", detail.close, name="close"),
    path("<str:number>/feedback/", detail.record_feedback, name="feedback"),
    path("<str:number>/reopen/", detail.reopen, name="reopen"),
    path("<str:number>/responsible/", detail.assign_responsible, name="assign"),
    path("<str:number>/due/", detail.set_due_date, name="due"),
    path("<str:number>/edit/", detail.edit_case, name="edit"),
    path("<str:number>/void/", detail.void, name="void"),
]
