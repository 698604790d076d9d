using Books.Identity;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddBooksIdentity();

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();
