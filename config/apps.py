from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """The settings package holds site-wide static files, translations and templates tags."""

    name = "config"
    label = "site_config"
    verbose_name = "Samverket"
