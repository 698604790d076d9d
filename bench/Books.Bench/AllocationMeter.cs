using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;

namespace Books.Bench;

/// <summary>
/// The bytes a process allocates per second, read from its runtime's <c>alloc-rate</c> counter over an
/// EventPipe session (what <c>dotnet-counters</c> shows). Unlike CPU time, allocations per request barely
/// move with the machine's speed, so they compare two builds reliably on a noisy machine.
/// </summary>
internal sealed class AllocationMeter : IDisposable
{
    private readonly EventPipeSession _session;
    private readonly EventPipeEventSource _source;
    private readonly Task _processing;
    private readonly List<double> _intervals = [];

    private AllocationMeter(EventPipeSession session)
    {
        _session = session;
        _source = new EventPipeEventSource(session.EventStream);
        _source.Dynamic.All += OnEvent;
        _processing = Task.Run(_source.Process);
    }

    public static AllocationMeter Start(int pid) => new(new DiagnosticsClient(pid).StartEventPipeSession(
        new EventPipeProvider("System.Runtime", EventLevel.Informational, (long)EventKeywords.None,
            new Dictionary<string, string> { ["EventCounterIntervalSec"] = "1" }),
        requestRundown: false));

    /// <summary>Mean bytes per second over the whole intervals seen so far, the first (partial) one left out.</summary>
    public double? BytesPerSecond
    {
        get
        {
            lock (_intervals)
            {
                return _intervals.Count < 2 ? null : _intervals.Skip(1).Average();
            }
        }
    }

    private void OnEvent(TraceEvent traceEvent)
    {
        if (traceEvent.EventName != "EventCounters"
            || traceEvent.PayloadValue(0) is not IDictionary<string, object> { } outer
            || outer["Payload"] is not IDictionary<string, object> { } counter
            || counter["Name"] as string != "alloc-rate")
        {
            return;
        }

        // alloc-rate is an incrementing counter: bytes allocated during the interval.
        var seconds = Convert.ToDouble(counter["IntervalSec"], System.Globalization.CultureInfo.InvariantCulture);
        var bytes = Convert.ToDouble(counter["Increment"], System.Globalization.CultureInfo.InvariantCulture);
        lock (_intervals)
        {
            _intervals.Add(seconds > 0 ? bytes / seconds : 0);
        }
    }

    public void Dispose()
    {
        _session.Stop();
        _processing.Wait(TimeSpan.FromSeconds(10));
        _source.Dispose();
        _session.Dispose();
    }
}
