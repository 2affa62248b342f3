using System.Diagnostics;
using Hangfire.Client;
using Hangfire.Server;

namespace Shears.Worker.Telemetry;

/// <summary>
/// Carries the trace from the request that queued a job to the worker that runs it. A Hangfire job's arguments are ids
/// only, so the W3C trace context of the enqueuing span rides in the Hangfire job's parameters (<c>traceparent</c>,
/// <c>tracestate</c>); the worker starts its <c>job run</c> span as that span's child, with the job's id.
/// </summary>
public sealed class TraceContextJobFilter : IClientFilter, IServerFilter
{
    private const string TraceParent = "traceparent";
    private const string TraceState = "tracestate";
    private const string SpanItem = "shears.span";

    public void OnCreating(CreatingContext context)
    {
        if (Activity.Current is { } current)
        {
            context.SetJobParameter(TraceParent, current.Id);
            context.SetJobParameter(TraceState, current.TraceStateString);
        }
    }

    public void OnCreated(CreatedContext context)
    {
    }

    public void OnPerforming(PerformingContext context)
    {
        ActivityContext.TryParse(context.GetJobParameter<string>(TraceParent), context.GetJobParameter<string>(TraceState), out var parent);
        var span = ShearsTelemetry.Source.StartActivity("job run", ActivityKind.Consumer, parent);
        if (span is not null)
        {
            span.SetTag(ShearsTelemetry.JobIdTag, context.BackgroundJob.Job.Args.OfType<Guid>().FirstOrDefault().ToString());
            span.SetTag("messaging.system", "hangfire");
            span.SetTag("messaging.message.id", context.BackgroundJob.Id);
            context.Items[SpanItem] = span;
        }
    }

    public void OnPerformed(PerformedContext context)
    {
        if (context.Items.TryGetValue(SpanItem, out var item) && item is Activity span)
        {
            if (context.Exception is { } exception)
            {
                span.SetStatus(ActivityStatusCode.Error, exception.GetBaseException().Message);
            }
            span.Dispose();
        }
    }
}
