import { IsEmail, IsOptional, Length, MaxLength, MinLength } from "class-validator";
import { Field, InputType } from "type-graphql";

@InputType({ description: "What a new member gives to join." })
export class SignUpInput {
  @Field({ description: "Full name, 1 to 100 characters." })
  @Length(1, 100)
  name: string;

  @Field({ description: "Email address; also the login. Case does not matter." })
  @IsEmail()
  @MaxLength(254)
  email: string;

  @Field({ description: "At least 8 characters." })
  @MinLength(8)
  @MaxLength(200)
  password: string;

  @Field(() => String, { nullable: true, description: "One line about your work." })
  @IsOptional()
  @MaxLength(200)
  headline?: string | null;

  @Field(() => String, { nullable: true, description: "Current employer." })
  @IsOptional()
  @MaxLength(100)
  employer?: string | null;

  @Field(() => String, { nullable: true, description: "Industry you work in." })
  @IsOptional()
  @MaxLength(100)
  industry?: string | null;

  @Field(() => String, { nullable: true, description: "School you attended." })
  @IsOptional()
  @MaxLength(100)
  school?: string | null;
}
