"""Server-wide endpoints: instance information, custom emojis, announcements, health, pages."""

from django.urls import URLPattern, path

from fedisocial.api import instance

urlpatterns: list[URLPattern] = [
    path("", instance.front_page, name="front_page"),
    path("about", instance.front_page, name="about"),
    path("privacy-policy", instance.privacy_policy_page, name="privacy_policy"),
    path("health", instance.health, name="health"),
    path("api/v1/instance", instance.InstanceV1View.as_view()),
    path("api/v2/instance", instance.InstanceV2View.as_view()),
    path("api/v1/instance/peers", instance.PeersView.as_view()),
    path("api/v1/instance/activity", instance.ActivityView.as_view()),
    path("api/v1/instance/rules", instance.RulesView.as_view()),
    path("api/v1/instance/domain_blocks", instance.DomainBlocksView.as_view()),
    path("api/v1/instance/extended_description", instance.ExtendedDescriptionView.as_view()),
    path("api/v1/instance/privacy_policy", instance.PrivacyPolicyView.as_view()),
    path("api/v1/instance/terms_of_service", instance.TermsOfServiceView.as_view()),
    path("api/v1/instance/terms_of_service/<str:date>", instance.TermsOfServiceView.as_view()),
    path("api/v1/instance/translation_languages", instance.TranslationLanguagesView.as_view()),
    path("api/v1/instance/languages", instance.LanguagesView.as_view()),
    path("api/v1/custom_emojis", instance.CustomEmojisView.as_view()),
    path("api/v1/announcements", instance.AnnouncementsView.as_view()),
]
