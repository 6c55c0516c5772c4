"""The example theme's folder: theme.toml (this file only makes the folder a package its entry point can name)."""
