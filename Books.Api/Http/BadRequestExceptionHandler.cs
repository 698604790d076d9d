using System.Text.Json;
using Books.Api.Books;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Books.Api.Http;

/// <summary>
/// Turns request-binding failures (malformed JSON, unknown fields, wrong types, bodies too large,
/// wrong content types) into ProblemDetails that say what was wrong, instead of an empty 400: a JSON body the
/// framework could not bind is read again and described by <see cref="JsonBodyProblem"/>.
/// </summary>
internal sealed class BadRequestExceptionHandler(IProblemDetailsService problemDetails) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException badRequest)
        {
            return false;
        }

        // 413 and 415 get their sentence from BooksProblems.Explain, like the ones the framework writes itself.
        var (title, detail) = badRequest switch
        {
            { InnerException: JsonException } => (ProblemKinds.MalformedBody.Title, await JsonBodyProblem.DescribeAsync(context.Request, cancellationToken)),
            { StatusCode: StatusCodes.Status400BadRequest } => (null, badRequest.Message),
            _ => ((string?)null, (string?)null),
        };
        context.Response.StatusCode = badRequest.StatusCode;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = new ProblemDetails { Status = badRequest.StatusCode, Title = title, Detail = detail },
        });
    }
}
