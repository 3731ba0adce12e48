from django.apps import AppConfig


class StatusesConfig(AppConfig):
    name = "statuses"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connects the receivers that keep cached filter rows current.
        from statuses import filters  # noqa: F401
