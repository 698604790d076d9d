using System.ComponentModel.DataAnnotations;

namespace Books.Settings;

/// <summary>
/// books-api's limits on callers (OWASP API4:2023), section <c>Books:RateLimit</c>: writes per caller across
/// replicas, reads per client address per replica, over one sliding window.
/// </summary>
public sealed class RateLimitSettings
{
    public const string SectionName = "Books:RateLimit";

    /// <summary>The write limit keeps one slot per permitted write in the caller's document: 8 KB at most.</summary>
    public const int MaxWritesPerWindow = 1_000;

    /// <summary>Off only on purpose (benchmarks, load tests): both the write and the read limit.</summary>
    public bool Enabled { get; set; } = true;

    [Range(1, MaxWritesPerWindow, ErrorMessage = "must be between {1} and {2}: for more writes, shorten the window; to measure without limits, set '"
        + SectionName + ":" + nameof(Enabled) + "' to false")]
    public int WritesPerWindow { get; set; } = 100;

    [Range(1, int.MaxValue, ErrorMessage = "must be at least {1}")]
    public int ReadsPerWindow { get; set; } = 1_000;

    [Range(1, int.MaxValue, ErrorMessage = "must be at least {1}")]
    public int WindowSeconds { get; set; } = 10;

    public TimeSpan Window => TimeSpan.FromSeconds(WindowSeconds);

    public const string EnabledKey = SectionName + ":" + nameof(Enabled);
    public const string WritesPerWindowKey = SectionName + ":" + nameof(WritesPerWindow);
    public const string ReadsPerWindowKey = SectionName + ":" + nameof(ReadsPerWindow);
    public const string WindowSecondsKey = SectionName + ":" + nameof(WindowSeconds);

    /// <summary>The values in effect when nothing is configured.</summary>
    public static RateLimitSettings Defaults => new();
}
