"""Tests for tracegrad."""
