using Books.Api.Books;

namespace Books.Api.Http;

/// <summary>
/// Counts each write to /api/books by its final status code. It runs outermost, so it also sees the
/// answers the exception handlers give (400 for a malformed body, 503 for an outage).
/// </summary>
internal sealed class BooksMetricsMiddleware(RequestDelegate next, BooksMetrics metrics)
{
    public async Task InvokeAsync(HttpContext context)
    {
        await next(context);

        if (!context.Request.Path.StartsWithSegments("/api/books") || BooksMetrics.OperationOf(context.Request) is not { } operation)
        {
            return;
        }

        switch (context.Response.StatusCode)
        {
            case StatusCodes.Status201Created:
                metrics.Created();
                break;
            case StatusCodes.Status200OK:
                metrics.Updated();
                break;
            case StatusCodes.Status204NoContent:
                metrics.Deleted();
                break;
            case var status when status >= 400 && Reason(status) is { } reason:
                metrics.WriteFailed(operation, reason);
                break;
        }
    }

    private static string? Reason(int status) => status switch
    {
        StatusCodes.Status404NotFound => BooksMetrics.FailureReasons.NotFound,
        StatusCodes.Status409Conflict => BooksMetrics.FailureReasons.DuplicateIsbn,
        StatusCodes.Status412PreconditionFailed => BooksMetrics.FailureReasons.PreconditionFailed,
        StatusCodes.Status503ServiceUnavailable => BooksMetrics.FailureReasons.Unavailable,
        >= 400 and < 500 => BooksMetrics.FailureReasons.Invalid,
        _ => null,
    };
}
