using Books.Api.Database;
using Books.Api.Limits;

namespace Books.Api.Http;

/// <summary>
/// Endpoint filter for writes that store a book: 503 "Not ready for writes" with Retry-After until the unique ISBN index
/// exists, saying why (<see cref="BookIndexStatus.WritesWaitFor"/>), so that no ISBN is ever stored twice.
/// </summary>
public static class WritesWaitForIsbnIndex
{
    public static ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var status = context.HttpContext.RequestServices.GetRequiredService<BookIndexStatus>();
        if (status.IsbnIndexReady)
        {
            return next(context);
        }

        context.HttpContext.Response.Headers.RetryAfter = RetryAfter.Header(RetryAfter.Outage);
        return ValueTask.FromResult<object?>(BooksProblems.NotReadyForWrites(status.WritesWaitFor));
    }
}
