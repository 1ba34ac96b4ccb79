"""The device daemon (`publish-runner run`): registers, heartbeats, claims due jobs and
publishes them in logged-in browser profiles, never twice."""
