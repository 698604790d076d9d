using System.ComponentModel.DataAnnotations;

namespace Books.Settings;

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
