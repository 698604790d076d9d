using System.ComponentModel;
using System.Text.Json;
using Books.Api.Http;
using Books.Api.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Books.Api.Books;

public static class BooksApi
{
    public const int MaxBodyBytes = 64 * 1024;
    public const string MergePatchMediaType = "application/merge-patch+json";
    private static readonly JsonDocumentOptions s_patchOptions = new() { MaxDepth = 32, AllowDuplicateProperties = false };

    public static RouteGroupBuilder MapBooksApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/books")
            .WithTags("Books")
            .WithMetadata(new RequestSizeLimitAttribute(MaxBodyBytes))
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        api.MapGet("/", ListBooks)
            .WithName(nameof(ListBooks))
            .WithSummary("List books")
            .WithDescription("Filters, sorts and pages through books with an opaque keyset cursor.")
            .ProducesValidationProblem();

        api.MapGet("/{id}", GetBook)
            .WithName(nameof(GetBook))
            .WithSummary("Get a book by id")
            .WithDescription("Answers 304 when If-None-Match names the current ETag.")
            .Produces(StatusCodes.Status304NotModified)
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/by-isbn/{isbn}", GetBookByIsbn)
            .WithName(nameof(GetBookByIsbn))
            .WithSummary("Get a book by ISBN")
            .WithDescription("Any form of the ISBN finds the book: ISBN-10 or ISBN-13, with or without hyphens.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapPost("/", CreateBook)
            .WithName(nameof(CreateBook))
            .WithSummary("Add a book")
            .WithDescription("Answers 201 with the stored book, its Location and ETag; 409 when another book has the same ISBN.")
            .RequireWriter()
            .ProducesBookBodyProblems();

        api.MapPut("/{id}", ReplaceBook)
            .WithName(nameof(ReplaceBook))
            .WithSummary("Replace a book")
            .WithDescription("Replaces every client-owned field. With If-Match, only if the book is still at that version.")
            .RequireWriter()
            .ProducesBookBodyProblems()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);

        api.MapPatch("/{id}", PatchBook)
            .WithName(nameof(PatchBook))
            .WithSummary("Change some fields of a book")
            .WithDescription("An RFC 7396 merge patch: fields given are set, fields given as null are removed. With If-Match, only if the book is still at that version.")
            .Accepts<BookPatchRequest>(MergePatchMediaType)
            .RequireWriter()
            .ProducesBookBodyProblems()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);

        api.MapDelete("/{id}", DeleteBook)
            .WithName(nameof(DeleteBook))
            .WithSummary("Delete a book")
            .WithDescription("With If-Match, only if the book is still at that version.")
            .RequireWriter()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);

        return api;
    }

    /// <summary>What any write carrying a book can answer: an invalid book, a taken ISBN, a body too large, a wrong media type.</summary>
    private static RouteHandlerBuilder ProducesBookBodyProblems(this RouteHandlerBuilder endpoint) =>
        endpoint
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

    public static async Task<Results<Ok<BookPage>, ValidationProblem>> ListBooks(
        [AsParameters] BookListQuery query,
        HttpRequest request,
        IMongoCollection<Book> books,
        CancellationToken cancellationToken)
    {
        if (BookListing.Parse(query, request.Query, out var errors) is not { } listing)
        {
            return TypedResults.ValidationProblem(errors);
        }

        // One book more than the page holds says whether there is a next page.
        var page = await books.Find(listing.Filter)
            .Sort(listing.Order)
            .Limit(listing.Limit + 1)
            .ToListAsync(cancellationToken);

        string? nextCursor = null;
        if (page.Count > listing.Limit)
        {
            page.RemoveAt(listing.Limit);
            nextCursor = listing.CursorAfter(page[^1]);
        }

        return TypedResults.Ok(new BookPage([.. page.Select(BookResponse.From)], nextCursor));
    }

    public static async Task<Results<Ok<BookResponse>, StatusCodeHttpResult, ProblemHttpResult>> GetBook(
        [Description("The book's id (24 hex digits).")] string id,
        HttpContext context,
        IMongoCollection<Book> books,
        CancellationToken cancellationToken)
    {
        // A malformed id cannot name a book, so it is a 404 like any unknown id.
        var book = ObjectId.TryParse(id, out var objectId)
            ? await books.Find(ById(objectId)).FirstOrDefaultAsync(cancellationToken)
            : null;
        if (book is null)
        {
            return BookNotFound(id);
        }

        context.Response.Headers.ETag = BookETag.For(book.Version);
        return BookETag.IfNoneMatchHits(context.Request, book.Version)
            ? TypedResults.StatusCode(StatusCodes.Status304NotModified)
            : TypedResults.Ok(BookResponse.From(book));
    }

    public static async Task<Results<Ok<BookResponse>, ValidationProblem, ProblemHttpResult>> GetBookByIsbn(
        [Description("ISBN-10 or ISBN-13, with or without hyphens.")] string isbn,
        HttpContext context,
        IMongoCollection<Book> books,
        CancellationToken cancellationToken)
    {
        if (Isbn.TryParse(isbn, out var isbn13) is { } problem)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["isbn"] = [problem] });
        }

        var book = await books.Find(Builders<Book>.Filter.Eq("isbn", isbn13)).FirstOrDefaultAsync(cancellationToken);
        if (book is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Book not found",
                detail: $"No book has the ISBN {isbn13}.");
        }

        context.Response.Headers.ETag = BookETag.For(book.Version);
        return TypedResults.Ok(BookResponse.From(book));
    }

    public static async Task<Results<Created<BookResponse>, ValidationProblem, ProblemHttpResult>> CreateBook(
        BookRequest request,
        HttpContext context,
        IMongoCollection<Book> books,
        TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var now = BookDocuments.Now(clock);
        if (BookInput.Validate(request, now.Year, out var errors) is not { } fields)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var book = BookDocuments.Create(fields, now);
        try
        {
            await books.InsertOneAsync(book, cancellationToken: cancellationToken);
        }
        catch (MongoException ex) when (DuplicateKey.Is(ex))
        {
            return IsbnConflict(fields.Isbn);
        }

        context.Response.Headers.ETag = BookETag.For(book.Version);
        return TypedResults.Created($"/api/books/{book.Id}", BookResponse.From(book));
    }

    public static async Task<Results<Ok<BookResponse>, ValidationProblem, ProblemHttpResult>> ReplaceBook(
        [Description("The book's id (24 hex digits).")] string id,
        BookRequest request,
        HttpContext context,
        IMongoCollection<Book> books,
        TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var now = BookDocuments.Now(clock);
        if (BookInput.Validate(request, now.Year, out var errors) is not { } fields)
        {
            return TypedResults.ValidationProblem(errors);
        }

        return await UpdateAsync(id, BookDocuments.Replace(fields, now), fields.Isbn, context, books, cancellationToken);
    }

    public static async Task<Results<Ok<BookResponse>, ValidationProblem, ProblemHttpResult>> PatchBook(
        [Description("The book's id (24 hex digits).")] string id,
        HttpContext context,
        IMongoCollection<Book> books,
        TimeProvider clock,
        CancellationToken cancellationToken)
    {
        if (!IsMergePatch(context.Request.ContentType))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type",
                detail: $"PATCH takes a JSON merge patch: send Content-Type: {MergePatchMediaType}.");
        }

        JsonDocument patch;
        try
        {
            patch = await JsonDocument.ParseAsync(context.Request.Body, s_patchOptions, cancellationToken);
        }
        catch (JsonException ex)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Malformed request body",
                detail: BadRequestExceptionHandler.DescribeJson(ex));
        }

        using (patch)
        {
            var now = BookDocuments.Now(clock);
            if (BookInput.ValidatePatch(patch.RootElement, now.Year, out var errors) is not { } changes)
            {
                return TypedResults.ValidationProblem(errors);
            }

            var isbn = changes.FirstOrDefault(c => c.Field == "isbn")?.Value as string;
            return await UpdateAsync(id, BookDocuments.Patch(changes, now), isbn, context, books, cancellationToken);
        }
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteBook(
        [Description("The book's id (24 hex digits).")] string id,
        HttpContext context,
        IMongoCollection<Book> books,
        CancellationToken cancellationToken)
    {
        if (!ObjectId.TryParse(id, out var objectId))
        {
            return BookNotFound(id);
        }

        var ifMatch = BookETag.IfMatchVersions(context.Request);
        var result = await books.DeleteOneAsync(Current(objectId, ifMatch), cancellationToken);
        return result.DeletedCount == 1
            ? TypedResults.NoContent()
            : await NotFoundOrStaleAsync(id, objectId, ifMatch, books, cancellationToken);
    }

    /// <summary>One findAndModify: applies the update only to the expected version, returns the result.</summary>
    private static async Task<Results<Ok<BookResponse>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        string id, UpdateDefinition<Book> update, string? isbn, HttpContext context, IMongoCollection<Book> books, CancellationToken cancellationToken)
    {
        if (!ObjectId.TryParse(id, out var objectId))
        {
            return BookNotFound(id);
        }

        var ifMatch = BookETag.IfMatchVersions(context.Request);
        Book? updated;
        try
        {
            updated = await books.FindOneAndUpdateAsync(
                Current(objectId, ifMatch),
                update,
                new FindOneAndUpdateOptions<Book> { ReturnDocument = ReturnDocument.After },
                cancellationToken);
        }
        catch (MongoException ex) when (DuplicateKey.Is(ex))
        {
            return IsbnConflict(isbn);
        }

        if (updated is null)
        {
            return await NotFoundOrStaleAsync(id, objectId, ifMatch, books, cancellationToken);
        }

        context.Response.Headers.ETag = BookETag.For(updated.Version);
        return TypedResults.Ok(BookResponse.From(updated));
    }

    // Field-name filters, not lambdas: a lambda is translated from its expression tree on every request.
    private static FilterDefinition<Book> ById(ObjectId id) => Builders<Book>.Filter.Eq("_id", id);

    private static FilterDefinition<Book> Current(ObjectId id, long[]? ifMatchVersions) =>
        ifMatchVersions is null || ifMatchVersions is [BookETag.AnyVersion]
            ? ById(id)
            : ById(id) & Builders<Book>.Filter.In("version", ifMatchVersions);

    /// <summary>After a write matched nothing: was the book missing, or at another version? (Nothing was written.)</summary>
    private static async Task<ProblemHttpResult> NotFoundOrStaleAsync(
        string id, ObjectId objectId, long[]? ifMatch, IMongoCollection<Book> books, CancellationToken cancellationToken)
    {
        var current = ifMatch is null ? null : await books.Find(ById(objectId)).FirstOrDefaultAsync(cancellationToken);
        return current is not null
            ? TypedResults.Problem(statusCode: StatusCodes.Status412PreconditionFailed, title: "The book has changed",
                detail: $"If-Match does not name the current version of book '{id}' (its ETag is now {BookETag.For(current.Version)}). Read it again, then retry.")
            : BookNotFound(id);
    }

    private static ProblemHttpResult BookNotFound(string id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Book not found",
            detail: $"No book has the id '{id}'.");

    private static ProblemHttpResult IsbnConflict(string? isbn) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Duplicate ISBN",
            detail: isbn is null ? "Another book already has this ISBN." : $"Another book already has the ISBN {isbn}.");

    private static bool IsMergePatch(string? contentType) =>
        Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
        && mediaType.MediaType.Equals(MergePatchMediaType, StringComparison.OrdinalIgnoreCase);
}
