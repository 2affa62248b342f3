// Hangfire keeps its storage in static state, so hosts must not start side by side in one test process.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
