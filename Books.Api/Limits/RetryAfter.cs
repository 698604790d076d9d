namespace Books.Api.Limits;

/// <summary>
/// Every Retry-After books-api sends (RFC 9110 10.2.3), in seconds: how long the caller should wait before the same
/// request may succeed. One place, so a 503 of one kind always asks for the same wait.
/// </summary>
public static class RetryAfter
{
    /// <summary>A dependency is down, overloaded or slow, or the unique ISBN index is not there yet: give it time.</summary>
    public const int Outage = 5;

    /// <summary>A moment of contention: every listing slot taken, or other writes racing for one book.</summary>
    public const int Contention = 1;

    public static string Header(int seconds) => seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
