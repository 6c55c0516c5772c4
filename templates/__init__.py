"""The built-in Jinja2 templates, CSS templates and themes, shipped inside the wheel as publish.templates."""
