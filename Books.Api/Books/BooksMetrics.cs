using System.Diagnostics.Metrics;

namespace Books.Api.Books;

/// <summary>The <c>Books.Api</c> meter: what changed in the catalogue, and why writes were refused or failed.</summary>
public sealed class BooksMetrics
{
    public const string MeterName = "Books.Api";

    private readonly Counter<long> _created;
    private readonly Counter<long> _updated;
    private readonly Counter<long> _deleted;
    private readonly Counter<long> _writeFailures;

    public BooksMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _created = meter.CreateCounter<long>("books.created", "{book}", "Books added.");
        _updated = meter.CreateCounter<long>("books.updated", "{book}", "Books replaced or patched.");
        _deleted = meter.CreateCounter<long>("books.deleted", "{book}", "Books deleted.");
        _writeFailures = meter.CreateCounter<long>("books.write_failures", "{failure}", "Writes refused or failed, by operation and reason.");
    }

    public void Created(long count = 1) => _created.Add(count);

    public void Updated() => _updated.Add(1);

    public void Deleted(long count = 1) => _deleted.Add(count);

    /// <param name="operation">create, replace, patch or delete.</param>
    /// <param name="reason">One of the <see cref="FailureReasons"/>.</param>
    public void WriteFailed(string operation, string reason) =>
        _writeFailures.Add(1, new KeyValuePair<string, object?>("operation", operation), new KeyValuePair<string, object?>("reason", reason));

    public static class FailureReasons
    {
        public const string Invalid = "invalid";
        public const string DuplicateIsbn = "duplicate_isbn";
        public const string PreconditionFailed = "precondition_failed";
        public const string NotFound = "not_found";
        public const string Unavailable = "unavailable";
    }

    /// <summary>The write operation a request to /api/books performs, or <see langword="null"/> for reads.</summary>
    public static string? OperationOf(HttpRequest request) => request.Method switch
    {
        "POST" => "create",
        "PUT" => "replace",
        "PATCH" => "patch",
        "DELETE" => "delete",
        _ => null,
    };
}
