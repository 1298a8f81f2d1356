from config.settings import ConfigError, Settings, load_settings, normalise_database_url

__all__ = ["ConfigError", "Settings", "load_settings", "normalise_database_url"]
