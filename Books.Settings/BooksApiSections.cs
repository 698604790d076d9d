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

/// <summary>
/// Bounds on the work one request can make MongoDB do (OWASP API4:2023), section <c>Books:Queries</c>.
/// </summary>
public sealed class QueryLimitSettings
{
    public const string SectionName = "Books:Queries";

    /// <summary>maxTimeMS on every query and findAndModify.</summary>
    [Range(1, int.MaxValue, ErrorMessage = "must be at least {1}")]
    public int TimeLimitMilliseconds { get; set; } = 2_000;

    /// <summary>Listings one replica runs at once.</summary>
    [Range(1, int.MaxValue, ErrorMessage = "must be at least {1}")]
    public int MaxConcurrentListings { get; set; } = 16;

    /// <summary>How long a listing waits for a slot before it gets a 503.</summary>
    [Range(1, int.MaxValue, ErrorMessage = "must be at least {1}")]
    public int ListingQueueMilliseconds { get; set; } = 1_000;

    public const string TimeLimitMillisecondsKey = SectionName + ":" + nameof(TimeLimitMilliseconds);
    public const string MaxConcurrentListingsKey = SectionName + ":" + nameof(MaxConcurrentListings);
    public const string ListingQueueMillisecondsKey = SectionName + ":" + nameof(ListingQueueMilliseconds);

    /// <summary>The values in effect when nothing is configured.</summary>
    public static QueryLimitSettings Defaults => new();
}

/// <summary>How books-api builds its indexes at startup, section <c>Books:Indexes</c>.</summary>
public sealed class IndexSettings
{
    public const string SectionName = "Books:Indexes";

    /// <summary>
    /// createIndexes' commitQuorum: how many data-bearing voting members must finish a build before it commits.
    /// Unset: the server's default, every voting member, so one member down stalls the builds (and writes wait for
    /// the unique ISBN index meanwhile). "majority" commits without it, and the member builds when it returns.
    /// Otherwise a number of members, or a replica-set tag. A standalone server refuses any value: leave it unset there.
    /// </summary>
    [RegularExpression(@"^(majority|votingMembers|[0-9]+|[A-Za-z][A-Za-z0-9_-]*)$",
        ErrorMessage = "must be majority, votingMembers, a number of members, or a replica-set tag name")]
    public string? CommitQuorum { get; set; }

    public const string CommitQuorumKey = SectionName + ":" + nameof(CommitQuorum);

    /// <summary>
    /// How often books-api checks that the unique ISBN index still exists (a drop, or a restore without indexes, would
    /// let a second book take a stored ISBN): the longest such a write goes unnoticed.
    /// </summary>
    [Range(1, 3_600, ErrorMessage = "must be between {1} and {2} seconds")]
    public int CheckSeconds { get; set; } = 30;

    public const string CheckSecondsKey = SectionName + ":" + nameof(CheckSeconds);
}

/// <summary>
/// Which proxies books-api believes about a request's origin (OWASP API8:2023), section <c>Books:ForwardedHeaders</c>.
/// Each key holds a list, or one value with entries separated by <c>;</c> (as an environment variable).
/// </summary>
public static class ForwardedHeadersSettings
{
    public const string SectionName = "Books:ForwardedHeaders";

    /// <summary>IP addresses of the proxies whose X-Forwarded-For and X-Forwarded-Proto are believed.</summary>
    public const string KnownProxiesKey = SectionName + ":KnownProxies";

    /// <summary>Networks (CIDR) of such proxies.</summary>
    public const string KnownNetworksKey = SectionName + ":KnownNetworks";
}

/// <summary>Token validation beyond the framework's bearer settings, section <c>Books:Auth</c>.</summary>
public sealed class TokenValidationSettings
{
    public const string SectionName = "Books:Auth";

    /// <summary>Tolerance for clock differences with the provider; the framework's 5 minutes when not set.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "10675199.02:48:05.4775807", ErrorMessage = "must not be negative")]
    public TimeSpan? ClockSkew { get; set; }

    public const string ClockSkewKey = SectionName + ":" + nameof(ClockSkew);
}
