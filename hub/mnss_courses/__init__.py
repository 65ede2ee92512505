"""Courses as nbgrader bundles: course.yaml metadata, checks, and instructor commands."""
