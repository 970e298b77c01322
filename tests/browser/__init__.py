"""Real-browser tests: the example app in Chromium, driven by Playwright."""
