from __future__ import annotations

from django.urls import include, path

from . import views, views_staff

app_name = "training"

section = [
    path("", views.section, name="section"),
    path("training/", views.training_step, name="training_step"),
    path("self-assessment/", views.self_assessment, name="self_assessment"),
    path(
        "self-assessment/record/",
        views.self_assessment_record,
        name="self_assessment_record",
    ),
    path("questions/", views.questions, name="questions"),
    path("questions/<int:question_no>/", views.question, name="question"),
    path("results/<uuid:attempt_id>/", views.result, name="result"),
]

urlpatterns = [
    path("", views.assessments, name="assessments"),
    path("terms/", views.terms, name="terms"),
    path("assessments/<uuid:assessment_id>/", views.sections, name="sections"),
    path(
        "assessments/<uuid:assessment_id>/sections/<int:section_no>/",
        include(section),
    ),
    path("certificates/<uuid:certificate_id>/", views.certificate, name="certificate"),
    path(
        "certificates/<uuid:certificate_id>/download/",
        views.certificate_download,
        name="certificate_download",
    ),
    path("staff/", views_staff.staff, name="staff"),
    path("staff/<uuid:member_id>/", views_staff.staff_member, name="staff_member"),
    path(
        "staff/attempts/<uuid:attempt_id>/",
        views_staff.staff_attempt,
        name="staff_attempt",
    ),
]
