"""Deploying a stage: the stack and the lake's artifacts (npm run deploy, npm run remove)."""
