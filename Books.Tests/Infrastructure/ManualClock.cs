namespace Books.Tests.Infrastructure;

/// <summary>A clock that stands still until a test moves it; timers and delays keep running on real time.</summary>
public sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
