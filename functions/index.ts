/**
 * Entry point of the Functions app (package.json `main` after the build): importing a function
 * file registers it, so the one bundle registers every function of the app.
 */
// First: telemetry (when configured) must be registered before anything else loads.
import './telemetry';
import './reclaim';
import './status';
