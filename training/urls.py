from __future__ import annotations

from django.urls import include, path

from .views import assessments, staff

app_name = "training"

section = [
    path("", assessments.section, name="section"),
    path("training/", assessments.training_step, name="training_step"),
    path("self-assessment/", assessments.self_assessment, name="self_assessment"),
    path(
        "self-assessment/record/",
        assessments.self_assessment_record,
        name="self_assessment_record",
    ),
    path("questions/", assessments.questions, name="questions"),
    path("questions/<int:question_no>/", assessments.question, name="question"),
    path("results/<uuid:attempt_id>/", assessments.result, name="result"),
]

urlpatterns = [
    path("", assessments.assessments, name="assessments"),
    path("terms/", assessments.terms, name="terms"),
    path("assessments/<uuid:assessment_id>/", assessments.sections, name="sections"),
    path(
        "assessments/<uuid:assessment_id>/sections/<int:section_no>/",
        include(section),
    ),
    path(
        "certificates/<uuid:certificate_id>/",
        assessments.certificate,
        name="certificate",
    ),
    path(
        "certificates/<uuid:certificate_id>/download/",
        assessments.certificate_download,
        name="certificate_download",
    ),
    path("staff/", staff.staff, name="staff"),
    path("staff/<uuid:member_id>/", staff.staff_member, name="staff_member"),
    path(
        "staff/attempts/<uuid:attempt_id>/",
        staff.staff_attempt,
        name="staff_attempt",
    ),
]
